"""gunicorn's workers keep the memory of a password hash for the next one (portal/gunicorn_conf.post_fork): after
the first sign-in, argon2's 64 MiB are not mapped again, page by page, at every sign-in (issue 18). Run in a child
process: the setting is for the process's whole life."""

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
    stored = passwords.hash_password("une phrase de passe assez longue")
    passwords.verify(stored, "une phrase de passe assez longue")  # the first one maps the pages
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    assert passwords.verify(stored, "une phrase de passe assez longue")
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def faults_of_a_sign_in(mode: str, **env) -> int:
    done = subprocess.run([sys.executable, "-c", CHILD, mode], capture_output=True, text=True, check=True,
                          env={**os.environ, **env})
    return int(done.stdout.strip().splitlines()[-1])


def test_a_worker_reuses_the_hash_memory_where_a_plain_process_maps_it_again():
    assert faults_of_a_sign_in("plain") > 10_000  # 64 MiB in 4 KiB pages: 16,384
    assert faults_of_a_sign_in("worker") < 1_000
    assert faults_of_a_sign_in("worker", GUNICORN_KEEP_HASH_MEMORY="0") > 10_000
