from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import selectors, services
from .models import Message


@require_http_methods(["GET"])
def outbox_list(request):
    sections = selectors.outbox_for_admin(request.user)
    if sections is None:
        raise Http404
    return render(request, "outbox/outbox_list.html", {"sections": sections})


@require_POST
def outbox_retry(request, pk):
    try:
        message = services.message_retry(actor=request.user, message_id=pk)
    except (PermissionDenied, Message.DoesNotExist):
        raise Http404 from None
    except services.MessageNotRetryable as exc:
        messages.info(request, str(exc))
    else:
        messages.success(request, f"{message} is queued again: it is sent as soon as it can be.")
    return redirect("outbox_list")
