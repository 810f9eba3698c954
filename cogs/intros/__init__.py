"""The intros feature. Modules here other than cog.py and views.py import no discord."""
