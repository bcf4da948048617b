"""Built-in rule families, one module each, registered through the changerisk.rules entry points."""
