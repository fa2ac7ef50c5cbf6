"""Allocation: cases wait in a team's unallocated queue until a social worker has room.

Order: priority (red, amber, green; for long-term transfers CP, then looked after, then CIN),
then first come first served (a case whose worker left rejoins by its own priority, at the
time it came back).  Allocation decisions are made on working days; a worker is chosen among
those present, not on notice and under their caseload cap, the one with most room first.
Caps count weighted load (``casework.case_weights``: an s47 enquiry or a CP plan can weigh
more than a stable CIN plan); a worker has room while their load is below their cap.
"""
from __future__ import annotations

from heapq import heappop, heappush

from ..events import Allocated


ROOM_STEPS = 10  # room is indexed in tenths of a case weight


class RoomIndex:
    """The team's workers who can take a case, by room (cap minus weighted load, in tenths).

    ``best()`` gives the worker with most room, the earliest to join the team among equals:
    the same choice as scanning the team in order, but without the scan, whose cost grows with
    the team (a service ten times the size would pay it ten times per allocation).  Entries
    are checked when read, so a change only needs ``update`` when it may add room or
    eligibility; stale entries are dropped as they surface, and all are rebuilt now and then.
    """

    def __init__(self, workers: list) -> None:
        self.workers = workers          # the team in post, in joining order
        self.by_room: dict[int, list] = {}
        self.top = 0
        self.pushed = 0
        self._n = 0

    @staticmethod
    def room(w) -> int:
        return round((w.cap - w.load) * ROOM_STEPS) if (w.accepting and not w.absent and not w.left) else 0

    def update(self, w) -> None:
        room = self.room(w)
        if room <= 0:
            return
        self._n += 1
        heappush(self.by_room.setdefault(room, []), (w.seq, self._n, w))
        self.top = max(self.top, room)
        self.pushed += 1
        if self.pushed > 4 * len(self.workers) + 256:
            self.rebuild()

    def rebuild(self) -> None:
        self.by_room, self.top, self.pushed = {}, 0, 0
        for w in self.workers:
            self.update(w)

    def best(self):
        for room in range(self.top, 0, -1):
            entries = self.by_room.get(room)
            while entries:
                w = entries[0][2]
                if self.room(w) == room:
                    return w
                heappop(entries)
            self.top = room - 1  # nothing left at this room or above
        return None


class Allocation:
    def __init__(self, env, service, team: str, workers):
        self.env = env
        self.service = service
        self.team = team
        self.workers = workers
        self.rooms = RoomIndex(workers)
        over = getattr(service.cfg.service.workforce, team).over_cap
        self.over_after = over.after_working_days if over.allowance > 0 else None
        self.over_allowance = over.allowance
        self.over_timer = None  # when the longest waiting child will have waited long enough
        self.by_wait: list = []  # heap of (time queued, case_id, key, case): who has waited longest
        self.log = service.log.append
        self.waiting: list = []  # heap of (key, case); key = (rank, time referred, case_id)
        self.queued = 0          # cases in it (the heaps also hold withdrawn entries until they surface)
        self.wake = env.event()
        self.wake.callbacks.append(self._woken)

    # -- commands ---------------------------------------------------------------------------
    def refer(self, case, rank: int) -> None:
        """Put ``case`` in the unallocated queue."""
        key = (rank, self.env.now, case.case_id)
        case.queue_key = key
        heappush(self.waiting, (key, case))
        if self.over_after is not None:  # the longest waiting first, whatever their priority
            heappush(self.by_wait, (key[1], case.case_id, key, case))
        self.queued += 1
        # Behind others, with nobody to take it, the referral changes nothing allocation can act
        # on: the longest waiter (and its over-cap timer) is someone else, and whatever frees
        # room looks at the queue then.  About a third of all wake-ups did nothing but find that.
        if self.queued > 1 and self.rooms.best() is None:
            return
        self.poke()

    def withdraw(self, case) -> None:
        """Take ``case`` out of the queue (it closed while waiting); removed lazily from the heap."""
        case.queue_key = None
        self.queued -= 1

    def worker_changed(self, worker) -> None:
        """A worker joined, came back, or has more room or a new cap."""
        self.rooms.update(worker)

    def poke(self) -> None:
        """Something changed (a referral, a free slot): look at the queue again, if anyone is in it."""
        if self.queued and not self.wake.triggered:
            self.wake.succeed()

    # -- the allocation procedure -------------------------------------------------------------
    # A poke wakes the procedure (at most once per instant: later pokes find ``wake`` triggered).
    # Callbacks rather than a process: the same steps, without resuming a generator each time.
    def _woken(self, _event=None) -> None:
        env, cal = self.env, self.service.calendar
        self.wake = env.event()
        if not cal.is_working_day(env.now):  # allocation happens on working days
            env.timeout(cal.at_working_time(cal.working_time(env.now)) - env.now).callbacks.append(self._working_day)
            return
        self.allocate()
        self.wake.callbacks.append(self._woken)

    def _working_day(self, _event) -> None:
        self.allocate()
        if self.wake.callbacks is None:  # poked while waiting for the working day: look again now
            self._woken()
        else:
            self.wake.callbacks.append(self._woken)

    def allocate(self) -> None:
        waiting = self.waiting
        while waiting:
            key, case = waiting[0]
            if case.queue_key != key:  # withdrawn
                heappop(waiting)
                continue
            worker = self.worker_with_room()
            if worker is None:
                if self.over_after is not None and self.allocate_overdue():
                    continue
                return
            heappop(waiting)
            self.give(case, worker)

    def give(self, case, worker) -> None:
        """``worker`` takes ``case`` from the queue (from its assessment worker, on a transfer)."""
        case.queue_key = None
        self.queued -= 1
        previous = case.worker
        reason = "TSPROC" if previous is not None else (case.requeue_reason or "referral")
        case.requeue_reason = None
        if previous is not None:  # a transfer between teams frees the previous worker
            self.service.release(previous, case)
        self.hand(case, worker, reason)
        self.service.allocated(case, worker)

    def hold(self, case, worker) -> None:
        """The council's records say ``worker`` holds ``case`` already (``sim.extracts.opening``):
        handed over at the first instant, whatever their room (a real caseload can be over cap)."""
        if case.queue_key is not None:
            self.withdraw(case)
        self.hand(case, worker, "opening_stock")
        self.service.allocated(case, worker)

    def allocate_overdue(self) -> bool:
        """Nobody has room: the child who has waited longest, if that is ``over_cap.after_working_days``
        or more, goes to the worker least over their cap within the allowance (True if one did).
        Otherwise a timer looks again when they reach it."""
        by_wait = self.by_wait
        while by_wait and by_wait[0][3].queue_key != by_wait[0][2]:
            heappop(by_wait)  # allocated or withdrawn since
        if not by_wait:
            return False
        queued, _, _, case = by_wait[0]
        due = self.service.calendar.add_working_days(queued, self.over_after)
        if self.env.now < due:
            if self.over_timer is None or self.over_timer > due:
                self.over_timer = due
                self.env.timeout(due - self.env.now).callbacks.append(lambda _e: self._over_timer_fired(due))
            return False
        worker = self.least_over_cap()
        if worker is None:
            return False
        heappop(by_wait)
        self.give(case, worker)
        return True

    def hand(self, case, worker, reason: str) -> None:
        """``worker`` takes ``case`` (logged with the reason it changed hands)."""
        case.weight = self.service.weight_of(case, self.team)
        worker.caseload.add(case.case_id)
        worker.load += case.weight
        self.rooms.update(worker)
        case.worker = worker
        self.log(Allocated(self.env.now, case.case_id, worker.worker_id, self.team, case.child_id, reason))

    def reweigh(self, worker, case, weight: float) -> None:
        """The case's weight changed (its plan changed) while ``worker`` holds it."""
        worker.load += weight - case.weight
        case.weight = weight
        self.rooms.update(worker)
        self.poke()

    def transfer(self, case, reason: str) -> bool:
        """Move a held case straight to the colleague with most room, if they have room for it
        (caseload rebalancing, a change of plan); True if it moved.  When the worker with most
        room is the case's own, it stays (nobody else has more)."""
        current = case.worker
        best = self.rooms.best()
        if best is None or best is current or RoomIndex.room(best) < round(case.weight * ROOM_STEPS):
            return False
        self.service.release(current, case)
        self.hand(case, best, reason)
        self.service.allocated(case, best)
        return True

    def least_over_cap(self):
        """The worker present, not on notice, least over their cap and under cap + allowance."""
        best, best_over = None, None
        for w in self.workers:
            if w.accepting and not w.absent and not w.left and w.load < w.cap + self.over_allowance:
                over = w.load - w.cap
                if best is None or over < best_over:
                    best, best_over = w, over
        return best

    def _over_timer_fired(self, due: float) -> None:
        if self.over_timer == due:
            self.over_timer = None
        self.poke()

    def worker_with_room(self):
        """Among workers present, not on notice and under their cap, the one with most room."""
        return self.rooms.best()

    def queued_case_ids(self) -> list[int]:
        """Case ids waiting, in allocation order."""
        return [case.case_id for key, case in sorted(self.waiting, key=lambda e: e[0]) if case.queue_key == key]
