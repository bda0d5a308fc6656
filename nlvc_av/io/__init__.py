"""The media side: the only package of NLVC that imports ``av``.

:mod:`.demux` reads any file PyAV opens, :mod:`.mux` writes FFV1/Matroska or y4m, :mod:`.frames`
maps planes to ``av.VideoFrame`` and back, :mod:`.y4m` is YUV4MPEG2 in pure Python and
:mod:`.streams` the plain descriptions. Importing this package imports nothing heavy.
"""
