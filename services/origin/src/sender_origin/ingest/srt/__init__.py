"""SRT ingest: the front end (`server.py`), its receive loop (`receive_loop.py`), stream IDs
(`streamid.py`) and the ctypes binding to libsrt (`libsrt.py`)."""
