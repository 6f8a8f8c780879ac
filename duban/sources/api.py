"""JSON API routes of this app, mounted under /api/v1 by duban.api."""

from ninja import Router

router = Router()
