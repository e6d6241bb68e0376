#!/usr/bin/env python3
"""gen-sessions: traffic whose sessions are known by construction.

    gen-sessions.py [--seed N] [--clients N] OUTDIR

Writes OUTDIR/hour-HH.ndjson (the row records of each hour, shuffled) and
what the derived tables must hold, as psql -At prints it:

    sessions.expect    session_key|client_id|start|end|duration|engaged|
                       events|page_views|landing|exit|referrer_host|medium|
                       source|campaign|device|country|is_bot|product_view|
                       add_to_cart|checkout_start|checkout_complete
    page_views.expect  event_id|session_key|page_view_index|event_index|
                       time_to_next_event
    users.expect       client_id|first_seen|last_seen|sessions|events|
                       first_touch_medium|first_touch_campaign|
                       last_touch_medium|last_touch_campaign|converted
    funnel.expect      day|sessions|product_view|add_to_cart|
                       checkout_start|checkout_complete  (bots left out)
    channels.expect    medium|sessions|conversions      (bots left out)

Times are epoch seconds.  The generator builds each session as a list of
events (a session id from the tracker for even clients; none for odd
ones, whose sessions are kept more than 30 minutes apart and whose gaps
within a session are 30 minutes at most), so each number above is read
off the construction, not computed by a sessionization of its own.  The
engaged time is the sum of the gaps within the session, each capped at
30 minutes (only tracker sessions have longer gaps).  Two odd clients are
built for late data: one session whose middle event falls in hour 02,
without which it reads as two; one whose first event does.
"""
import argparse
import json
import os
import random
import uuid

BASE = 1795824000  # 2026-11-28T00:00:00Z
CAP = 1800
HOURS = 6

CHANNELS = [
    # medium, source, campaign, utm?, referrer (host, medium, source)
    ("email", "newsletter", "winter_sale", True, None),
    ("cpc", "google", "brand", True, ("www.google.com", "search", "Google")),
    ("search", "Google", None, False, ("www.google.com", "search", "Google")),
    ("social", "Facebook", None, False, ("www.facebook.com", "social", "Facebook")),
    ("direct", None, None, False, None),
]


def iso(t):
    return "%s.000Z" % __import__("time").strftime("%Y-%m-%dT%H:%M:%S",
                                                  __import__("time").gmtime(t))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--clients", type=int, default=60)
    ap.add_argument("outdir")
    a = ap.parse_args()
    rnd = random.Random(a.seed)

    def new_id():
        return str(uuid.UUID(int=rnd.getrandbits(128), version=4))

    sessions = []   # dicts with the expected values and the events
    rows = []

    def build(client, sid, bot, device, country, start, depth, channel,
              gaps, extra=None):
        """One session: its events at start + the gaps, in order."""
        names = [("page_view", "/c/toys", None)]
        if rnd.random() < 0.5:
            names.append(("click", "/c/toys", None))
        pid = "p-%d" % rnd.randrange(1, 6)
        if depth >= 1:
            names += [("page_view", "/p/" + pid, None), ("product_view", "/p/" + pid, pid)]
        if depth >= 2:
            names.append(("add_to_cart_click", "/p/" + pid, pid))
        if depth >= 3:
            names += [("page_view", "/checkout", None), ("checkout_start", "/checkout", pid)]
        if depth >= 4:
            names += [("page_view", "/thanks", None), ("checkout_complete", "/thanks", None)]
        if extra is not None:
            names = extra
        times = [start]
        for i in range(1, len(names)):
            times.append(times[-1] + gaps(i))
        medium, source, campaign, utm, ref = CHANNELS[channel]
        evs = []
        for i, ((name, path, prod), t) in enumerate(zip(names, times)):
            ev = {
                "event_id": new_id(), "event_timestamp": iso(t),
                "event_name": name, "client_id": client, "session_id": sid,
                "page_url": "https://shop.example.com" + path,
                "page_host": "shop.example.com", "page_path": path,
                "ua_device_class": device, "geo_country": country,
                "is_bot": bot,
            }
            if prod is not None:
                ev["context_product_id"] = prod
                ev["context_product_name"] = "Product " + prod
            if i == 0:
                if utm:
                    ev["utm_medium"], ev["utm_source"], ev["utm_campaign"] = \
                        medium, source, campaign
                if ref is not None:
                    ev["referrer_host"], ev["referrer_medium"], \
                        ev["referrer_source"] = ref
            else:
                ev["referrer_host"] = "shop.example.com"
                ev["referrer_medium"] = "internal"
            evs.append((t, ev))
        key = sid if sid is not None else "%s#%s" % (client, evs[0][1]["event_id"])
        pvs = [ev for t, ev in evs if ev["event_name"] == "page_view"]
        s = {
            "key": key, "client": client, "start": times[0], "end": times[-1],
            "engaged": sum(min(times[i + 1] - times[i], CAP)
                           for i in range(len(times) - 1)),
            "events": evs, "page_views": len(pvs),
            "landing": pvs[0]["page_path"] if pvs else "",
            "exit": pvs[-1]["page_path"] if pvs else "",
            "referrer_host": ref[0] if ref else "",
            "medium": medium, "source": source or "", "campaign": campaign,
            "device": device, "country": country, "bot": bot,
            "reached": [any(ev["event_name"] == n for t, ev in evs)
                        for n in ("product_view", "add_to_cart_click",
                                  "checkout_start", "checkout_complete")],
        }
        sessions.append(s)
        return s

    for c in range(a.clients):
        client = "c-%03d" % c
        tracker = c % 2 == 0
        bot = c % 13 == 5
        device = ["desktop", "mobile", "tablet"][c % 3]
        country = ["DE", "FR", "US", "JP"][c % 4]
        t = BASE + rnd.randrange(0, 3600)
        for k in range(rnd.randrange(1, 4)):
            depth = rnd.randrange(0, 5)
            channel = rnd.randrange(len(CHANNELS))
            if tracker:
                # Gaps of a tracker's session may pass 30 minutes: capped.
                gaps = lambda i: rnd.choice([5, 40, 300, 900, 2400])
                sid = "s-%03d-%d" % (c, k)
            else:
                gaps = lambda i: rnd.choice([5, 40, 300, 1200, CAP])
                sid = None
            s = build(client, sid, bot, device, country, t, depth, channel, gaps)
            # The next session more than 30 minutes after this one.
            t = s["end"] + rnd.choice([CAP + 1, 2700, 5400])
            if t > BASE + HOURS * 3600 - 3 * 3600:
                break

    # Late data, hour 02 loaded last: a middle event that joins two
    # halves, and a first event that moves the session's start and key.
    pv = lambda p: ("page_view", p, None)
    build("c-late-a", None, False, "desktop", "DE", BASE + 3600 + 40 * 60, 0, 0,
          lambda i: 25 * 60,
          extra=[pv("/a1"), pv("/a2"), pv("/a3"), pv("/a4"), pv("/a5")])
    build("c-late-b", None, False, "mobile", "FR", BASE + 2 * 3600 + 50 * 60, 4, 1,
          lambda i: 20 * 60,
          extra=[pv("/b1"), ("product_view", "/p/p-1", "p-1"), pv("/b2"),
                 ("checkout_complete", "/b3", None)])
    # A tracker session with a late middle event.
    build("c-late-c", "s-late-c", False, "tablet", "US", BASE + 3600 + 30 * 60, 0, 2,
          lambda i: 30 * 60, extra=[pv("/c1"), pv("/c2"), pv("/c3"), pv("/c4")])

    os.makedirs(a.outdir, exist_ok=True)
    hours = {}
    for s in sessions:
        for t, ev in s["events"]:
            hours.setdefault((t - BASE) // 3600, []).append(ev)
    for h, evs in hours.items():
        rnd.shuffle(evs)
        with open(os.path.join(a.outdir, "hour-%02d.ndjson" % h), "w") as f:
            for ev in evs:
                f.write(json.dumps(ev, separators=(",", ":")) + "\n")

    tf = lambda b: "t" if b else "f"
    nz = lambda v: "" if v is None else str(v)
    key = lambda s: s.encode()
    with open(os.path.join(a.outdir, "sessions.expect"), "w") as f:
        for s in sorted(sessions, key=lambda s: s["key"].encode()):
            f.write("|".join([s["key"], s["client"], str(s["start"]), str(s["end"]),
                              str(s["end"] - s["start"]), str(s["engaged"]),
                              str(len(s["events"])), str(s["page_views"]),
                              s["landing"], s["exit"], s["referrer_host"],
                              s["medium"], s["source"], nz(s["campaign"]),
                              s["device"], s["country"], tf(s["bot"])]
                             + [tf(r) for r in s["reached"]]) + "\n")
    pvrows = []
    for s in sessions:
        evs = s["events"]
        n = 0
        for i, (t, ev) in enumerate(evs):
            if ev["event_name"] != "page_view":
                continue
            n += 1
            nxt = str(evs[i + 1][0] - t) if i + 1 < len(evs) else ""
            pvrows.append("|".join([ev["event_id"], s["key"], str(n), str(i + 1), nxt]))
    with open(os.path.join(a.outdir, "page_views.expect"), "w") as f:
        for r in sorted(pvrows, key=key):
            f.write(r + "\n")
    users = {}
    for s in sorted(sessions, key=lambda s: (s["start"], s["key"].encode())):
        users.setdefault(s["client"], []).append(s)
    with open(os.path.join(a.outdir, "users.expect"), "w") as f:
        for c in sorted(users, key=key):
            ss = users[c]
            touch = [s for s in ss if s["campaign"] is not None]
            f.write("|".join([c, str(ss[0]["start"]), str(max(s["end"] for s in ss)),
                              str(len(ss)), str(sum(len(s["events"]) for s in ss)),
                              touch[0]["medium"] if touch else "",
                              touch[0]["campaign"] if touch else "",
                              touch[-1]["medium"] if touch else "",
                              touch[-1]["campaign"] if touch else "",
                              tf(any(s["reached"][3] for s in ss))]) + "\n")
    days = {}
    chans = {}
    for s in sessions:
        if s["bot"]:
            continue
        d = days.setdefault((s["start"] - BASE) // 86400, [0] * 5)
        d[0] += 1
        for i in range(4):
            d[i + 1] += s["reached"][i]
        ch = chans.setdefault(s["medium"], [0, 0])
        ch[0] += 1
        ch[1] += s["reached"][3]
    with open(os.path.join(a.outdir, "funnel.expect"), "w") as f:
        for d in sorted(days):
            f.write("|".join([str(BASE + d * 86400)] + [str(x) for x in days[d]]) + "\n")
    with open(os.path.join(a.outdir, "channels.expect"), "w") as f:
        for m in sorted(chans, key=key):
            f.write("%s|%d|%d\n" % (m, chans[m][0], chans[m][1]))


if __name__ == "__main__":
    main()
