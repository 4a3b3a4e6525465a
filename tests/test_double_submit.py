"""A double tap, ten times over: ten identical submissions (same session, CSRF token and
submission key) sent at once to a live server make one ticket, and every copy answers
the same confirmation; none is an error page for a request that was saved."""
import http.client
import threading
from urllib.parse import urlencode, urlsplit

from tests.factories import hidden_fields, valid_request_form
from tests.queries import count_in
from volunteer.models import Ticket, TicketEvent

COPIES = 10


def _request(base_url, method, path, body=None, cookie=None):
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
    if cookie:
        headers["Cookie"] = cookie
    connection.request(method, path, body=body, headers=headers)
    response = connection.getresponse()
    answer = (response.status, response.getheader("Location"), response.getheader("Set-Cookie"),
              response.read().decode("utf-8", "replace"))
    connection.close()
    return answer


def test_ten_copies_sent_at_once_make_one_ticket_and_one_answer(app, live_server):
    _, _, set_cookie, page = _request(live_server.url, "GET", "/")
    cookie = set_cookie.split(";", 1)[0]
    body = urlencode({**hidden_fields(page), **valid_request_form()})
    start = threading.Barrier(COPIES)
    answers = [None] * COPIES

    def send(index):
        start.wait()
        answers[index] = _request(live_server.url, "POST", "/", body, cookie)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(COPIES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [status for status, *_ in answers] == [302] * COPIES, [a[0] for a in answers]
    locations = {location for _, location, *_ in answers}
    assert len(locations) == 1 and "/submitted/DH-" in locations.pop()
    assert count_in(app, Ticket) == 1
    assert count_in(app, TicketEvent) == 1
