"""Bot infrastructure shared by every cog: errors, the command tree, due jobs, wording helpers."""
