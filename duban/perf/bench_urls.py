"""The benchmark URLconf: every route of duban plus a hello-world view behind the same middleware.

Only bench/pages_bench.py uses it (it sets ``ROOT_URLCONF`` to this module), so the hello-world never ships in the
product's routes. The view reads ``request.user`` as every page does, so it pays the same session and profile
queries: what a page costs beyond it is the page's own work.
"""

from django.http import HttpResponse
from django.urls import include, path


def hello(request):
    return HttpResponse(f"hello {request.user.pk}", content_type="text/plain")


urlpatterns = [
    path("bench/hello/", hello, name="bench_hello"),
    path("", include("duban.urls")),
]
