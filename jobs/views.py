from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services


@require_http_methods(["GET"])
def job_list(request):
    jobs = selectors.jobs_for_admin(request.user)
    if jobs is None:
        raise Http404
    return render(request, "jobs/job_list.html", {"jobs": jobs})


@require_POST
def job_run_now(request, name):
    if selectors.jobs_for_admin(request.user) is None:
        raise Http404
    try:
        services.job_queue(name=name, actor=request.user)
    except services.UnknownJob:
        raise Http404 from None
    except services.JobAlreadyLive as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"{name} is queued: it runs as soon as a worker takes it.")
    return redirect("job_list")
