"""Peer circles (issue 19): opt-in groups of 3-6 members formed by engine/circles, each with consent."""
