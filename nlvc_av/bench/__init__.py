"""``nlvc bench``: NLVC against the classical lossless codecs (see :mod:`.command`)."""
