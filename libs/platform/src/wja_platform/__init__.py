"""Whole Justice plumbing, written once and used by every service.

Public surface: :class:`~wja_platform.app.ServiceSpec` and :func:`~wja_platform.app.make_app`
(the runtime), :mod:`~wja_platform.outbox` (``add``), :class:`~wja_platform.consumer.NotReady`,
:mod:`~wja_platform.auth` (``require``, ``Caller``), :mod:`~wja_platform.errors`,
:mod:`~wja_platform.settings`, :mod:`~wja_platform.clock`, :mod:`~wja_platform.workdays`,
:mod:`~wja_platform.crypto`, :mod:`~wja_platform.telemetry`.
"""
