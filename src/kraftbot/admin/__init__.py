"""The staff workspace's services."""
