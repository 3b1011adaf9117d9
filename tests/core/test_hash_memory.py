"""gunicorn's workers keep large allocations for the next one (portal/gunicorn_conf.post_fork): after the first
password hashed, argon2-cffi's 64 MiB are not mapped again, page by page, at every sign-up or password change
(issue 18). Run in a child process: the setting is for the process's whole life. (A sign-in's verification is
libsodium's, which maps its memory itself: accounts/passwords.py.)"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

CHILD = textwrap.dedent("""
    import os, resource, sys
    from portal import gunicorn_conf
    from portal.accounts import passwords
    if sys.argv[1] == "worker":
        gunicorn_conf.post_fork(None, None)
    passwords.hash_password("une phrase de passe assez longue")  # the first one maps the pages
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    stored = passwords.hash_password("une autre phrase de passe")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    assert passwords.verify(stored, "une autre phrase de passe")
""")


def faults_of_a_hash(mode: str, **env) -> int:
    done = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True,
                          env={**os.environ, **env})
    return int(done.stdout.strip().splitlines()[-1])


def test_a_worker_reuses_the_hash_memory_where_a_plain_process_maps_it_again():
    assert faults_of_a_hash("plain") > 10_000  # 64 MiB in 4 KiB pages: 16,384
    assert faults_of_a_hash("worker") < 1_000
    assert faults_of_a_hash("worker", GUNICORN_KEEP_HASH_MEMORY="0") > 10_000
