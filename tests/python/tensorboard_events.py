"""Reads a run folder's TensorBoard event files with TensorBoard's own reader (the
EventAccumulator that `tensorboard --logdir` uses, which checks every record's CRC) and
prints what it found as one JSON object: {"scalars": {tag: [[step, value], ...]},
"images": {tag: [[step, width, height, sha256 of the PNG], ...]}}.

usage: tensorboard_events.py RUN_DIR
"""
import hashlib
import json
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator


def main():
    # 0: keep every event (the default samples large runs down).
    acc = EventAccumulator(sys.argv[1], size_guidance={"scalars": 0, "images": 0})
    acc.Reload()
    tags = acc.Tags()
    out = {
        "scalars": {t: [[e.step, e.value] for e in acc.Scalars(t)] for t in tags["scalars"]},
        "images": {
            t: [[e.step, e.width, e.height, hashlib.sha256(e.encoded_image_string).hexdigest()] for e in acc.Images(t)]
            for t in tags["images"]
        },
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
