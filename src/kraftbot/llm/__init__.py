"""Text generation backends behind one small protocol, chosen by settings."""
