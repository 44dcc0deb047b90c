"""The roles as containers: a real ffmpeg on the host publishes to the origin container, the
edge container mirrors it, a viewer is counted in VictoriaMetrics; SIGTERM stops containers
cleanly within 10 s and a new container on the same volume carries on by itself."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from e2e.containers.conftest import ORIGIN_HOST, Stack, vm_or_skip
from e2e.containers.engine import DATA_DIR, ContainerEngine
from e2e.media import (
    PollingViewer,
    ViewerCrowd,
    decoded_seconds,
    live_uris,
    media_sequence,
)
from tests.procs import pid_alive, publish, stop_publisher
from tests.waiting import wait_for

SLUG = "boxed"
VIEWER_ADDRESS = "127.0.0.7"
STOP_GRACE = 10


def _sh(engine: ContainerEngine, role: str, script: str) -> subprocess.CompletedProcess[str]:
    """A throwaway container of the role's image, no network, running `script`."""
    return engine.run(
        "run", "--rm", "--network", "none", engine.image(role), "sh", "-c", script, check=False
    )


@pytest.mark.parametrize("role", ["origin", "edge", "metrics"])
def test_image_user_volume_and_ffmpeg(engine: ContainerEngine, role: str) -> None:
    probe = f"id -u; touch {DATA_DIR}/probe && echo writable; command -v ffmpeg || echo no-ffmpeg"
    out = _sh(engine, role, probe)
    assert out.returncode == 0, out.stderr
    uid, writable, ffmpeg = out.stdout.split()
    assert uid == "10001"
    assert writable == "writable"
    assert (ffmpeg == "/usr/local/bin/ffmpeg") == (role == "origin"), ffmpeg
    if role == "origin":
        version = _sh(engine, role, "ffmpeg -hide_banner -version | head -n1")
        assert version.stdout.startswith("ffmpeg version"), version.stdout + version.stderr


# What the origin asks of its ffmpeg (built with only that): the slate (color, drawtext,
# anullsrc, libx264, AAC, fragmented MP4), FLV and MPEG-TS in, the ladder's split/scale,
# stream copy with aac_adtstoasc, and the concat demuxer of recordings.
ORIGIN_FFMPEG = """set -e
cd /tmp
python - <<'PY'
import subprocess
from pathlib import Path
from sender_common.ffmpeg.command import SLATE_FONTS, build_slate_command
font = next(f for f in SLATE_FONTS if Path(f).exists())
argv = build_slate_command("ffmpeg", Path("slate.mp4"), seconds=1, font=font, size="320x180")
subprocess.run(argv, check=True)
PY
ff() { ffmpeg -hide_banner -nostats -loglevel error -y "$@"; }
ff -i slate.mp4 -c copy -f flv in.flv
ff -i slate.mp4 -c copy -f mpegts in.ts
ff -f flv -i in.flv -filter_complex '[0:v]split=2[a][b];[b]scale=-2:90[c]' \\
  -map '[a]' -map '[c]' -map 0:a -c:v libx264 -preset ultrafast -tune zerolatency \\
  -force_key_frames 'expr:gte(t,n_forced*1)' -sc_threshold 0 -c:a aac \\
  -f mp4 -movflags empty_moov+default_base_moof+frag_keyframe ladder.mp4
ff -f mpegts -i in.ts -map '0:v?' -map '0:a?' -c copy -bsf:a aac_adtstoasc \\
  -f mp4 -movflags empty_moov+default_base_moof+frag_keyframe copy.mp4
printf "file '%s'\\n" slate.mp4 copy.mp4 > list.txt
ff -f concat -safe 0 -i list.txt -c copy -movflags +faststart -f mp4 joined.mp4
echo ok
"""


def test_origin_ffmpeg_does_what_the_origin_asks(engine: ContainerEngine) -> None:
    out = _sh(engine, "origin", ORIGIN_FFMPEG)
    assert out.returncode == 0 and out.stdout.strip().endswith("ok"), out.stdout + out.stderr


def test_image_refuses_to_start_without_a_token(engine: ContainerEngine) -> None:
    # the image binds 0.0.0.0; in a network namespace of its own nothing is exposed
    out = engine.run(
        "run", "--rm", "--network", "none", engine.image("edge"), check=False, timeout=60
    )
    assert out.returncode != 0
    assert "SENDER_API_TOKEN" in out.stdout + out.stderr


def test_healthcheck_passes(stack: Stack) -> None:
    for container in (stack.origin, stack.edge, stack.metrics):
        # docker runs the check on its own schedule (first after --interval, 15 s)
        wait_for(container.healthy, 40, f"{container.name} healthy")


def test_management_needs_the_token(stack: Stack) -> None:
    r = httpx.post(f"{stack.origin.url}/api/v1/endpoints", json={"slug": "nope"}, timeout=5)
    assert r.status_code == 401, r.text
    assert "detail" in r.json()


def test_publish_mirror_and_count_a_viewer(stack: Stack) -> None:
    r = stack.origin.post("/api/v1/endpoints", {"slug": SLUG})
    assert r.status_code == 201, r.text
    key = r.json()["stream_key"]
    stack.publisher = publish(f"rtmp://{ORIGIN_HOST}:{stack.rtmp_port}/live/{key}")
    body = {"endpoint": SLUG, "upstream_url": stack.origin.url, "verify_tls": False}
    r = stack.edge.post("/api/v1/edge/sessions", body)
    assert r.status_code == 200, r.text
    try:
        wait_for(lambda: _session(stack)["state"] == "live", 40, "the edge container mirroring")
    except AssertionError as exc:
        logs = stack.origin.logs()[-1500:] + stack.edge.logs()[-1500:]
        raise AssertionError(f"{exc}; session {_session(stack)}\n{logs}") from None
    assert decoded_seconds(f"{stack.edge.url}/sender/hls/{SLUG}/live.m3u8", seconds=3) >= 2.5

    vm = vm_or_skip(stack)
    viewer = PollingViewer(SLUG, [stack.edge.url], VIEWER_ADDRESS, vsid="e2e-container-viewer")
    with ViewerCrowd([viewer], period=0.5) as crowd:
        crowd.wait_rounds(2)
        vm.wait_value(f'sum(sender_viewers_active{{endpoint="{SLUG}"}})', 1, 30)
    assert not viewer.errors, viewer.errors[:3]


def test_srt_publish_into_the_origin_container(stack: Stack) -> None:
    r = stack.origin.post("/api/v1/endpoints", {"slug": "boxed-srt"})
    assert r.status_code == 201, r.text
    key = r.json()["stream_key"]
    url = f"srt://{ORIGIN_HOST}:{stack.srt_port}?streamid=publish:live/{key}&latency=200000"
    pub = publish(url)
    try:
        wait_for(
            lambda: len(live_uris(stack.origin.url, "boxed-srt")) >= 3,
            30,
            "three segments from the SRT publish",
        )
        live = f"{stack.origin.url}/sender/hls/boxed-srt/live.m3u8"
        assert decoded_seconds(live, seconds=3) >= 2.5
    finally:
        stop_publisher(pub)


def test_edge_sigterm_then_a_new_container_resumes(stack: Stack) -> None:
    _require_live(stack)
    node_id = stack.node_id(stack.edge)
    seq = wait_for(lambda: media_sequence(stack.edge.url, SLUG), 10, "a live edge playlist")
    took, code = stack.edge.stop(STOP_GRACE)
    assert code == 0, f"exit {code} after {took:.1f}s:\n{stack.edge.logs()[-2000:]}"
    assert took < STOP_GRACE
    # same volume, no API call: the persisted session comes back by itself
    stack.edge = stack.engine.replace(stack.edge)
    stack.edge.wait_ready()
    assert stack.node_id(stack.edge) == node_id, "the node key lives on the volume"
    wait_for(lambda: _session(stack)["state"] == "live", 30, "the session resumed")
    wait_for(
        lambda: (media_sequence(stack.edge.url, SLUG) or -1) > (seq or 0) + 1,
        20,
        "the new edge container to advance past the old window",
    )
    if stack.vm is not None:
        stack.vm.write_config(stack.scrape_targets())
        stack.vm.wait_value(f'up{{node_id="{node_id}"}}', 1, 20)


def test_origin_sigterm_leaves_no_ffmpeg_and_keeps_its_endpoints(stack: Stack) -> None:
    publisher = _require_live(stack)
    ffmpegs = wait_for(lambda: stack.origin.host_pids("ffmpeg"), 10, "the origin's ffmpeg")
    took, code = stack.origin.stop(STOP_GRACE)
    assert code == 0, f"exit {code} after {took:.1f}s:\n{stack.origin.logs()[-2000:]}"
    assert took < STOP_GRACE
    assert not [pid for pid in ffmpegs if pid_alive(pid)]
    stop_publisher(publisher)
    stack.origin = stack.engine.replace(stack.origin)
    stack.origin.wait_ready()
    r = stack.origin.get(f"/api/v1/endpoints/{SLUG}", headers=stack.origin.headers())
    assert r.status_code == 200, r.text
    gens = stack.origin.get(f"/api/v1/endpoints/{SLUG}/generations", headers=stack.origin.headers())
    assert gens.status_code == 200, gens.text
    assert [g["number"] for g in gens.json()] == [1]


def _session(stack: Stack) -> dict[str, object]:
    r = stack.edge.get(f"/api/v1/edge/sessions/{SLUG}", headers=stack.edge.headers())
    r.raise_for_status()
    data: dict[str, object] = r.json()
    return data


def _require_live(stack: Stack) -> subprocess.Popen[bytes]:
    assert stack.publisher is not None, "runs after test_publish_mirror_and_count_a_viewer"
    return stack.publisher


def test_metrics_sigterm_then_a_new_container_keeps_its_identity(stack: Stack) -> None:
    node_id = stack.node_id(stack.metrics)
    took, code = stack.metrics.stop(STOP_GRACE)
    assert code == 0, f"exit {code} after {took:.1f}s:\n{stack.metrics.logs()[-2000:]}"
    assert took < STOP_GRACE
    stack.metrics = stack.engine.replace(stack.metrics)
    stack.metrics.wait_ready()
    assert stack.node_id(stack.metrics) == node_id
