from django.shortcuts import render
from django.urls import path

from dicas_portal.urls import urlpatterns as portal_urlpatterns


def baseline(request):
    """The ceiling: a minimal template through the same middleware stack as every page."""
    return render(request, "bench/baseline.html", {"title": "baseline"})


urlpatterns = [path("bench/baseline/", baseline), *portal_urlpatterns]
