"""Following an upstream: one `Follower` per rendition keeps a `LivePlaylist` and the spool
in step with the upstream's playlist; a `MirrorWorker` runs an endpoint's followers, and
`RunningMirrors` the workers of this edge."""
