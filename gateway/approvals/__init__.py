"""Approvals: a person approves exactly one call, which then runs exactly once.

``service`` binds a call to an approval, records every transition and keeps the
metrics; ``notify`` tells a webhook that an approval waits; ``stream`` fans decision
records out to console subscribers; ``console`` is the operators' web page. The
pipeline stages are ``gateway/stages/approval.py`` and ``gateway/stages/draft.py``.
"""
