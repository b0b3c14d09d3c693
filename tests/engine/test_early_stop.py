from chop.engine.early_stop import BestTracker


def test_tracks_best_and_stops_after_patience():
    t = BestTracker(patience=2)
    assert t.update(0.5, 1) and t.best == 0.5
    assert not t.update(0.4, 2) and not t.should_stop
    assert not t.update(0.5, 3)  # equal is not better
    assert t.should_stop and t.best_epoch == 1


def test_zero_patience_never_stops_and_state_round_trips():
    t = BestTracker(patience=0)
    for epoch in range(10):
        t.update(-epoch, epoch)
    assert not t.should_stop
    u = BestTracker()
    u.load_state_dict(t.state_dict())
    assert (u.best, u.best_epoch, u.bad_epochs) == (0, 0, 9)
