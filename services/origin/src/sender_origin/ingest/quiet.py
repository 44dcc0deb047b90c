"""Import pyrtmp without its import-time `logging.basicConfig(DEBUG)` touching our logging."""

from __future__ import annotations

import importlib
import logging
from types import SimpleNamespace


def import_pyrtmp() -> SimpleNamespace:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        pyrtmp = importlib.import_module("pyrtmp")
        rtmp = importlib.import_module("pyrtmp.rtmp")
        messages = importlib.import_module("pyrtmp.messages")
        factory = importlib.import_module("pyrtmp.messages.factory")
        command = importlib.import_module("pyrtmp.messages.command")
        protocol_control = importlib.import_module("pyrtmp.messages.protocol_control")
        user_control = importlib.import_module("pyrtmp.messages.user_control")
        video = importlib.import_module("pyrtmp.messages.video")
        audio = importlib.import_module("pyrtmp.messages.audio")
        data = importlib.import_module("pyrtmp.messages.data")
        serializers = importlib.import_module("pyrtmp.amf.serializers")
        session_manager = importlib.import_module("pyrtmp.session_manager")
        bitstring = importlib.import_module("bitstring")
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("pyrtmp"):
            logging.getLogger(name).setLevel(logging.ERROR)
    del rtmp
    return SimpleNamespace(
        StreamClosedException=pyrtmp.StreamClosedException,
        Chunk=messages.Chunk,
        MessageFactory=factory.MessageFactory,
        command=command,
        protocol_control=protocol_control,
        user_control=user_control,
        VideoMessage=video.VideoMessage,
        AudioMessage=audio.AudioMessage,
        MetaDataMessage=data.MetaDataMessage,
        AMF0Serializer=serializers.AMF0Serializer,
        BitStream=bitstring.BitStream,
        SessionManager=session_manager.SessionManager,
    )
