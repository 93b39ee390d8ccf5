#!/usr/bin/python3
"""Writes two fastai v1 language models of the same shape but different values (seeds), and two vocabularies of the
same length but different words, with real PyTorch, for the kill-during-convert tests (ConvertKillTests.cs).

    kill_fixture.py OUT_DIR VOCAB EMB_SZ N_HID

OUT_DIR gets a.pth, b.pth (torch.save, legacy format like WT103_FWD's lstm_fwd.pth) and a_itos.pkl, b_itos.pkl.
The model classes come from tools/make_fixtures.py, which rebuilds fastai's module tree in plain torch.
"""
import pickle
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "tools"))
import make_fixtures as mf  # noqa: E402


def main():
    out, vocab, emb_sz, n_hid = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    mf.install_fastcore_stub()
    for name, seed in (("a", 6), ("b", 7)):
        torch.manual_seed(seed)
        m = mf.V1.get_language_model(vocab, emb_sz, n_hid, 3, weight_p=0.2)
        mf.randomize_biases(m)
        m.eval()
        m[0].reset()
        sd = m.state_dict()
        torch.save(sd, out / f"{name}.pth", _use_new_zipfile_serialization=False)
        back = torch.load(out / f"{name}.pth", map_location="cpu")
        assert list(back) == list(sd) and all(torch.equal(back[k], sd[k]) for k in sd)
        words = mf.make_itos(vocab)
        words[-1] = f"xx{name}_last"  # the two vocabularies differ, so their JSON files differ
        with open(out / f"{name}_itos.pkl", "wb") as f:
            pickle.dump(words, f, protocol=3)
    print("ok")


if __name__ == "__main__":
    main()
