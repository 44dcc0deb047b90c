"""What an edge serves from its mirrors: the live playlists (`render`), DVR playlists and
files pulled through from the upstream (`dvr_pull`), and the upstream's DVR window
(`dvr_window`)."""
