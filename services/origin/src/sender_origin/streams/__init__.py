"""Origin media sessions: publishes, generations, ffmpeg, live playlists."""
