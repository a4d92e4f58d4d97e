"""Local fake HTTP servers that speak real providers' documented contracts (127.0.0.1 only)."""
