"""Where members live, and the fairest place for them to meet."""
