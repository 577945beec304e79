#!/usr/bin/env python3
"""Warm PHALP service: builds the tracker 4D-Humans' track.py builds ONCE, then runs jobs one after another.

Run by the worker (worker/runners/phalp/service.ts) with PHALP_PYTHON, working directory PHALP_DIR (the
4D-Humans checkout, so `import track` is ITS track.py), and the same Hydra overrides as a spawned
`track.py` (one `key=value` argument each: video.source, video.output_dir, video.end_frame=-1,
render.enable=false). What it builds, checked against the real sources:
  - `track.HMR2_4dhuman(cfg)`: 4D-Humans' subclass of PHALP (HMR2 predictor; the constructor downloads
    and loads every model: HMR2, the detector, PHALP's predictor, the visualizer);
  - `cfg`: `hydra.compose(config_name="config", overrides=...)` of the config track.py registers
    (`cs.store(name="config", node=Human4DConfig)`), as `@hydra.main(version_base="1.2",
    config_name="config")` composes it for a spawned track.py;
  - per job: `cfg.video.source` and `cfg.video.output_dir` are set (PHALP's IO_Manager keeps the same cfg
    object), `default_setup()` makes the output folders, `track()` runs the clip. `track()` starts a
    fresh DeepSORT tracker on every call (setup_deepsort), catches errors inside its frame loop
    (prints them on stdout, returns None) and returns (results, pkl_path) after
    `joblib.dump(..., results/demo_<name>.pkl, compress=3)`.

Protocol (one JSON object per line):
  worker -> service, on stdin:
    {"cmd": "run", "job": ID, "source": ABS_FRAMES_DIR, "output_dir": ABS_DIR}
    {"cmd": "quit"}                                   (EOF on stdin also ends the service)
  service -> worker, on file descriptor 3 (stdout and stderr stay PHALP's own console: its Hydra-style
  log lines, the rich progress bar, tracebacks, which the worker reads exactly as for a spawned track.py):
    {"event": "loading", "pid": N}                    models are being built
    {"event": "ready", "load_seconds": S}             models loaded; waiting for jobs
    {"event": "fatal", "message": M}                  could not build the tracker (the traceback is on stderr); exits 1
    {"event": "start", "job": ID}
    {"event": "frames", "job": ID, "first": A, "last": B, "pkl": PATH}
                                                      frames A..B (0-based, inclusive) are final: PATH is a
                                                      joblib pickle of their records, keyed and shaped like the
                                                      results pkl (results while tracking runs, see below)
    {"event": "done", "job": ID, "pkl": PATH, "seconds": S}
    {"event": "failed", "job": ID, "message": M}      PHALP's own error (its traceback is on stdout/stderr)
    {"event": "canceled", "job": ID}                  SIGINT stopped the job; the models stay loaded
  Before a job's done/failed/canceled event, the line "[phalp-service] end of job ID" is printed on stdout and
  on stderr (the three pipes are read separately; the worker waits for both marks before judging the job).
Cancel: the worker sends SIGINT; Python raises KeyboardInterrupt in track() (which only catches
Exception), the job ends as canceled and the service waits for the next one.

Results while tracking runs (`frames` events): PHALP's frame loop is
`for t_, frame_name in progress_bar(enumerate(list_of_frames), ...)` in PHALP.track() (phalp/trackers/PHALP.py,
`progress_bar` imported at module level from phalp.utils.utils; older releases call rich's `track`), and it
keeps every frame's record in its local `final_visuals_dic`. A track is confirmed after `cfg.phalp.n_init`
hits and then written back into its n_init-1 previous frames, so once frame t is processed no later frame
changes frames 0..t-n_init: they are final (PHALP itself renders frame t-n_init at that point). The service
replaces that module-level progress function with a wrapper that, after each frame's loop body, reads
`final_visuals_dic` and `list_of_frames` from track()'s frame and writes the newly final frames' records
(without the large appearance/UV/mask entries the worker never reads) to
<output_dir>/results/partial/frames_<A>_<B>.pkl, at most every CHUNK_SECONDS, and the rest when the loop
ends. Nothing of PHALP's own code or results changes; if the progress function is not found, or anything
in the hook fails, the job runs as before without `frames` events.
"""
import json
import logging
import os
import signal
import sys
import time
import traceback

LOG_FORMAT = '[%(asctime)s][%(name)s][%(levelname)s] - %(message)s'
# printed on stdout AND stderr when a job ends, before its event: the worker reads the three pipes
# separately and waits for both marks, so the job's last console lines are in before it judges the job
END_MARK = '[phalp-service] end of job'


def open_events():
    try:
        return os.fdopen(3, 'w', buffering=1)
    except OSError:
        sys.stderr.write('phalp service: file descriptor 3 (the event channel) is not open; run it from the worker\n')
        sys.exit(2)


EVENTS = None
# results while tracking runs: at most one `frames` event this often (seconds), and the record keys left out
CHUNK_SECONDS = 0.5
HEAVY_KEYS = {'appe', 'loca', 'pose', 'uv', 'prediction_uv', 'prediction_pose', 'prediction_loca', 'frame', 'mask', 'embedding'}
PROGRESS_NAMES = ('progress_bar', 'track')  # what PHALP.py calls its frame loop's progress iterator
FINAL_FRAMES = None  # the running job's FinalFrames, or None


def emit(event, **fields):
    EVENTS.write(json.dumps({'event': event, **fields}) + '\n')
    EVENTS.flush()


def setup_logging():
    """Hydra's job logging format on stdout, as a spawned track.py prints it (the worker parses these lines)."""
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    root.addHandler(handler)


def build(overrides):
    sys.path.insert(0, os.getcwd())
    import track  # the checkout's track.py: registers its config, defines HMR2_4dhuman (its main() is not run)
    from hydra import compose, initialize

    with initialize(version_base='1.2', config_path=None):
        cfg = compose(config_name='config', overrides=overrides)
    return cfg, track.HMR2_4dhuman(cfg)


class FinalFrames:
    """Hands out the frames of the running track() that no later frame can change (see the docstring)."""

    def __init__(self, job, output_dir, n_init):
        self.job = job
        self.dir = os.path.join(output_dir, 'results', 'partial')
        self.n_init = n_init
        self.sent = 0
        self.last_emit = 0.0
        self.broken = False

    def processed(self, loop_locals, t):
        final_end = t - self.n_init + 1  # frames 0..t-n_init are final
        if final_end > self.sent and time.monotonic() - self.last_emit >= CHUNK_SECONDS:
            self.emit(loop_locals, final_end)

    def finish(self, loop_locals):
        frames = loop_locals.get('list_of_frames')
        if frames is not None:
            self.emit(loop_locals, len(frames))

    def emit(self, loop_locals, end):
        if self.broken:
            return
        try:
            frames = loop_locals['list_of_frames']
            records = loop_locals['final_visuals_dic']
            end = min(end, len(frames))
            if end <= self.sent:
                return
            import joblib
            chunk = {}
            for key in frames[self.sent:end]:
                rec = records.get(key)
                if rec is not None:
                    chunk[key] = {k: v for k, v in rec.items() if k not in HEAVY_KEYS}
            os.makedirs(self.dir, exist_ok=True)
            path = os.path.join(self.dir, f'frames_{self.sent:06d}_{end - 1:06d}.pkl')
            joblib.dump(chunk, path + '.tmp')
            os.replace(path + '.tmp', path)
            emit('frames', job=self.job, first=self.sent, last=end - 1, pkl=path)
            self.sent = end
            self.last_emit = time.monotonic()
        except Exception as e:  # never break PHALP's own run: without the hook the job ends as before
            self.broken = True
            print(f'[phalp-service] results while tracking are off for this job: {type(e).__name__}: {e}', file=sys.stderr)


def install_frame_hook(tracker):
    """Wraps the progress iterator of track()'s frame loop (a module-level name of PHALP.py) so the running
    job's FinalFrames sees each processed frame. Returns the name wrapped, or None."""
    module_globals = getattr(getattr(type(tracker), 'track', None), '__globals__', None) or {}
    for name in PROGRESS_NAMES:
        progress = module_globals.get(name)
        if callable(progress):
            break
    else:
        return None

    def progress_with_final_frames(sequence, *args, **kwargs):
        loop_frame = sys._getframe(1)  # track()'s frame: the caller of the loop's first next()
        watcher = FINAL_FRAMES
        for item in progress(sequence, *args, **kwargs):
            yield item
            if watcher is not None and isinstance(item, tuple) and item and isinstance(item[0], int):
                watcher.processed(loop_frame.f_locals, item[0])
        if watcher is not None:
            watcher.finish(loop_frame.f_locals)

    module_globals[name] = progress_with_final_frames
    return name


def n_init_of(cfg):
    try:
        return max(1, int(cfg.phalp.n_init))
    except Exception:
        return 5  # PHALP's default (phalp/configs/base.py)


def mark_end(job):
    sys.stdout.write(f'\n{END_MARK} {job}\n')
    sys.stdout.flush()
    sys.stderr.write(f'\n{END_MARK} {job}\n')
    sys.stderr.flush()


def run_job(cfg, tracker, msg):
    global FINAL_FRAMES
    job = msg.get('job')
    cfg.video.source = msg['source']
    cfg.video.output_dir = msg['output_dir']
    emit('start', job=job)
    t0 = time.monotonic()
    FINAL_FRAMES = FinalFrames(job, msg['output_dir'], n_init_of(cfg))
    try:
        tracker.default_setup()
        out = tracker.track()
    except KeyboardInterrupt:
        mark_end(job)
        emit('canceled', job=job)
        return
    except Exception as e:  # raised before PHALP's frame loop (e.g. Invalid source path): as Hydra reports it
        sys.stdout.flush()
        print(f'Error executing job with overrides: {msg!r}', file=sys.stderr)
        traceback.print_exc()
        mark_end(job)
        emit('failed', job=job, message=f'{type(e).__name__}: {e}')
        return
    mark_end(job)
    if not out:
        emit('failed', job=job, message='PHALP ended without results (its error is printed above)')
        return
    emit('done', job=job, pkl=str(out[1]), seconds=round(time.monotonic() - t0, 3))


def main(overrides):
    global EVENTS
    EVENTS = open_events()
    setup_logging()
    emit('loading', pid=os.getpid())
    t0 = time.monotonic()
    try:
        cfg, tracker = build(overrides)
    except BaseException as e:
        traceback.print_exc()
        sys.stderr.flush()
        emit('fatal', message=f'{type(e).__name__}: {e}')
        return 1
    hooked = install_frame_hook(tracker)
    if not hooked:
        print('[phalp-service] no progress iterator found in PHALP.track(): results arrive when each job is done', file=sys.stderr)
    emit('ready', load_seconds=round(time.monotonic() - t0, 3))
    while True:
        try:
            line = sys.stdin.readline()
        except KeyboardInterrupt:
            continue  # a cancel that arrived after its job ended
        if not line:
            return 0  # the worker is gone
        line = line.strip()
        if not line:
            continue
        try:
            msg = json.loads(line)
        except ValueError:
            print(f'phalp service: not a JSON command: {line[:200]}', file=sys.stderr)
            continue
        if msg.get('cmd') == 'quit':
            return 0
        if msg.get('cmd') == 'run':
            try:
                run_job(cfg, tracker, msg)
            except KeyboardInterrupt:
                emit('canceled', job=msg.get('job'))


if __name__ == '__main__':
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.exit(main(sys.argv[1:]))
