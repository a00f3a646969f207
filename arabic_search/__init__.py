"""The ``arabic-search`` command line: a thin layer over the indexer, search and web packages."""
