"""The click front end of changerisk."""
