"""Video providers: prompt -> clip. See ``base.py`` for the interface and ``registry.py`` for names."""
