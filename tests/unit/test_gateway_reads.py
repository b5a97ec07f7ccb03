"""What the public pages keep (gateway.reads): fresh answers served as they are, older ones served while
one refresh is asked, too old or absent asked now by one call whoever asks; errors never kept; what this
gateway changes never shown stale, a registration forgetting only its forum's page."""

import eventlet
import pytest
from eventlet.event import Event
from nameko.exceptions import RemoteError

from gateway import reads
from gateway.reads import PublicReads


class Clock:
    def __init__(self):
        self.now = 1000.0

    def monotonic(self):
        return self.now


class Container:
    def __init__(self, **config):
        self.config = config
        self.threads = []

    def spawn_managed_thread(self, fn, identifier=None):
        thread = eventlet.spawn(fn)
        self.threads.append(thread)
        return thread


class Service:
    """A service's answers, counting its calls; ``hold`` makes the next calls wait for ``release``."""

    def __init__(self):
        self.calls = 0
        self.version = 1
        self.gate = None
        self.failing = None

    def call(self, forum_id="f1"):
        self.calls += 1
        answer = {"id": forum_id, "version": self.version}  # the data as it was when asked
        if self.gate is not None:
            self.gate.wait()
        if self.failing:
            raise self.failing
        return answer

    def hold(self):
        self.gate = Event()

    def release(self):
        gate, self.gate = self.gate, None
        gate.send(None)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(reads.time, "monotonic", clock.monotonic)
    return clock


def kept(fresh=1, stale=10):
    extension = PublicReads()
    extension.container = Container(PUBLIC_READ_FRESH=fresh, PUBLIC_READ_STALE=stale)
    extension.setup()
    return extension


def settle(extension):
    for thread in extension.container.threads:
        thread.wait()
    extension.container.threads.clear()


def read(extension, service, forum_id="f1", method="get_forum"):
    return extension.read("registration", method, (forum_id,), lambda: service.call(forum_id))


def test_a_fresh_answer_is_served_without_a_call(clock):
    extension, service = kept(), Service()
    assert read(extension, service) == {"id": "f1", "version": 1}
    service.version = 2
    clock.now += 0.9
    assert read(extension, service)["version"] == 1
    assert service.calls == 1


def test_an_older_answer_is_served_at_once_and_asked_again_once(clock):
    extension, service = kept(), Service()
    read(extension, service)
    service.version = 2
    service.hold()
    clock.now += 2
    assert [read(extension, service)["version"] for _ in range(5)] == [1] * 5  # nobody waits
    eventlet.sleep(0)
    assert service.calls == 2  # one refresh for the five views
    service.release()
    settle(extension)
    assert read(extension, service)["version"] == 2
    assert service.calls == 2


def test_an_answer_too_old_is_asked_now_and_shared_by_those_asking_meanwhile(clock):
    extension, service = kept(), Service()
    read(extension, service)
    service.version = 2
    clock.now += 11
    service.hold()
    views = [eventlet.spawn(read, extension, service) for _ in range(4)]
    eventlet.sleep(0)
    assert service.calls == 2
    service.release()
    assert [view.wait()["version"] for view in views] == [2, 2, 2, 2]
    assert service.calls == 2


def test_an_error_is_told_to_every_asker_and_never_kept(clock):
    extension, service = kept(), Service()
    service.failing = RuntimeError("down")
    service.hold()
    views = [eventlet.spawn(read, extension, service) for _ in range(2)]
    eventlet.sleep(0)
    service.release()
    for view in views:
        with pytest.raises(RuntimeError, match="down"):
            view.wait()
    service.failing = None
    assert read(extension, service)["version"] == 1
    assert service.calls == 2


def test_a_failed_refresh_leaves_the_older_answer_until_it_is_too_old(clock):
    extension, service = kept(), Service()
    read(extension, service)
    service.failing = RuntimeError("down")
    clock.now += 5
    assert read(extension, service)["version"] == 1
    settle(extension)
    clock.now += 6  # 11 s: too old to show, and the service still down
    with pytest.raises(RuntimeError):
        read(extension, service)


def test_a_change_forgets_the_service_and_a_fetch_begun_before_it_is_not_shared_after_it(clock):
    extension, service = kept(), Service()
    read(extension, service)
    extension.changing("registration", "update_forum", ("f1",), None)
    service.version = 2
    assert read(extension, service)["version"] == 2  # asked again at once, however fresh it was

    extension.changing("registration", "update_forum", ("f1",), None)
    service.hold()
    before = eventlet.spawn(read, extension, service)  # begun before the next change
    eventlet.sleep(0)
    extension.changing("registration", "update_forum", ("f1",), None)
    service.version = 3
    after = eventlet.spawn(read, extension, service)  # asked after it: its own call
    eventlet.sleep(0)
    assert service.calls == 4
    service.release()
    assert before.wait()["version"] == 2
    assert after.wait()["version"] == 3
    assert read(extension, service)["version"] == 3  # the later call's answer is the one kept
    assert service.calls == 4


def test_a_registration_forgets_its_forums_page_only_and_not_the_list(clock):
    extension, service = kept(), Service()
    read(extension, service, "f1")
    read(extension, service, "f2")
    listing = extension.read("registration", "list_forums", ("all",), lambda: ["list", service.version])
    service.version = 2
    extension.changing("registration", "register", ("f1", {"email": "a@example.org"}), None)
    assert read(extension, service, "f1")["version"] == 2
    assert read(extension, service, "f2")["version"] == 1
    assert extension.read("registration", "list_forums", ("all",), lambda: ["list", 2]) == listing
    extension.changing("registration", "cancel_registration", ("r1", "token"), {"forum_id": "f2"})
    assert read(extension, service, "f2")["version"] == 2


def test_a_cancellation_without_an_answer_forgets_every_forum(clock):
    extension, service = kept(), Service()
    read(extension, service, "f1")
    service.version = 2
    extension.changing("registration", "cancel_registration", ("r1", "token"), None)  # timed out
    assert read(extension, service, "f1")["version"] == 2


def test_quiet_calls_and_other_services_forget_nothing(clock):
    extension, service = kept(), Service()
    read(extension, service)
    service.version = 2
    for method in ("ping", "health", "organiser_for_digest", "me", "get_forum", "list_registrations"):
        extension.changing("registration", method, (), None)
    extension.changing("topics", "publish_topic", ("t1",), None)
    assert read(extension, service)["version"] == 1


def test_nothing_is_kept_when_fresh_is_zero(clock):
    extension, service = kept(fresh=0), Service()
    read(extension, service)
    read(extension, service)
    assert service.calls == 2


def test_the_least_recently_used_answer_goes_first(clock, monkeypatch):
    monkeypatch.setattr(reads, "ENTRIES", 3)
    extension, service = kept(), Service()
    for forum_id in ("f1", "f2", "f3"):
        read(extension, service, forum_id)
    read(extension, service, "f1")  # used: f2 is now the oldest
    read(extension, service, "f4")
    assert [key[2][0] for key in extension.kept] == ["f3", "f1", "f4"]


def test_a_not_found_is_an_answer_kept_like_the_others_and_forgotten_by_a_change(clock):
    extension = kept()
    calls = []

    def latest():
        calls.append(1)
        raise RemoteError("RestitutionNotFound", "Nothing published for this forum yet.")

    for _ in range(3):
        with pytest.raises(RemoteError) as raised:
            extension.read("restitution", "latest", ("f1",), latest)
        assert raised.value.exc_type == "RestitutionNotFound"
    assert len(calls) == 1
    extension.changing("restitution", "publish", ("f1",), None)
    assert extension.read("restitution", "latest", ("f1",), lambda: {"version": 1}) == {"version": 1}
