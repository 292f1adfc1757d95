"""Calendar invites, subscription feeds and iTIP replies."""
