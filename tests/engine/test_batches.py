import torch

from chop.dataset import TensorSplit
from chop.engine.batches import TensorBatches


def split(n=10):
    return TensorSplit(torch.arange(n).float().unsqueeze(1), torch.arange(n))


def test_unshuffled_batches_cover_in_order_with_short_tail():
    batches = list(TensorBatches(split(10), 4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    assert torch.cat([y for _, y in batches]).tolist() == list(range(10))
    assert len(TensorBatches(split(10), 4)) == 3


def test_shuffle_is_a_permutation_that_changes_with_epoch_and_repeats_with_seed():
    b = TensorBatches(split(50), 8, shuffle=True, seed=3)
    b.set_epoch(0)
    e0 = torch.cat([y for _, y in b])
    b.set_epoch(1)
    e1 = torch.cat([y for _, y in b])
    assert sorted(e0.tolist()) == list(range(50)) == sorted(e1.tolist())
    assert e0.tolist() != e1.tolist()
    again = TensorBatches(split(50), 8, shuffle=True, seed=3)
    assert torch.cat([y for _, y in again]).tolist() == e0.tolist()


def test_inputs_stay_paired_with_labels():
    for x, y in TensorBatches(split(33), 5, shuffle=True):
        assert torch.equal(x.squeeze(1).long(), y)


def test_ranks_get_disjoint_equal_shares():
    shares = []
    for rank in range(2):
        b = TensorBatches(split(11), 3, shuffle=True, seed=1, rank=rank, world_size=2)
        shares.append(torch.cat([y for _, y in b]).tolist())
        assert len(b) == 2  # 5 samples each, batch 3
    assert len(shares[0]) == len(shares[1]) == 5
    assert not set(shares[0]) & set(shares[1])


def test_eval_sharding_covers_every_sample_once():
    seen = []
    for rank in range(2):
        seen += torch.cat([y for _, y in TensorBatches(split(11), 4, rank=rank, world_size=2)]).tolist()
    assert sorted(seen) == list(range(11))
