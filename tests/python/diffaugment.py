"""DiffAugment's translation and cutout in PyTorch, from the draws a `train --trace`
records: the twin of train/src/augment.rs that tests/python/trainer_vs_torch.py replays
the trainer's steps with."""
import torch
from torch import nn

# Translation's largest shift and cutout's side (dcgan/src/recipe.rs: MAX_SHIFT, CUTOUT_SIDE).
MAX_SHIFT = 4
CUTOUT_SIDE = 14


def augment(x, shift, cut, shift_sign=1, cut_fill=-1.0):
    """DiffAugment's translation then cutout of x [N,1,28,28], filled with the background
    −1, from each image's drawn source offset (output (r, c) = input (r + rows,
    c + columns)) and cutout centre (row, column), both as the trace stores them (float32
    arrays [N,2], or None where the recipe leaves that augmentation out). `shift_sign` and
    `cut_fill` exist for trainer_vs_torch.py's deliberate mistakes."""
    n, side = x.shape[0], x.shape[-1]
    along = torch.arange(side)
    if shift is not None:
        shift = torch.from_numpy(shift).long() * shift_sign
        assert int(shift.abs().max()) <= MAX_SHIFT, f"a traced shift is beyond MAX_SHIFT = {MAX_SHIFT}: update it here"
        padded = nn.functional.pad(x, (MAX_SHIFT,) * 4, value=-1.0)
        rows = (along.view(1, side, 1) + shift[:, 0].view(n, 1, 1) + MAX_SHIFT).expand(n, side, side)
        cols = (along.view(1, 1, side) + shift[:, 1].view(n, 1, 1) + MAX_SHIFT).expand(n, side, side)
        x = padded[torch.arange(n).view(n, 1, 1), 0, rows, cols].unsqueeze(1)
    if cut is not None:
        cut = torch.from_numpy(cut).long()
        half = CUTOUT_SIDE // 2
        r = along.view(1, side, 1) - cut[:, 0].view(n, 1, 1)
        c = along.view(1, 1, side) - cut[:, 1].view(n, 1, 1)
        hole = (r >= -half) & (r < half) & (c >= -half) & (c < half)
        x = x.masked_fill(hole.unsqueeze(1), cut_fill)
    return x
