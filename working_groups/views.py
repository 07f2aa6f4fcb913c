"""Working-group pages and action items. Thin views: parse, check permission, call a
service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forums.models import Meeting
from forums.permissions import PaperClearance, can_upload_paper, can_view_meeting

from . import selectors, services
from .forms import ActionItemForm, ActionItemStatusForm
from .models import ActionItem
from .permissions import can_record_action_items, can_see_group_workings, statuses_settable_by

FORBIDDEN = 403


def _refuse(request, message: str):
    return render(request, "working_groups/refused.html", {"message": message}, status=FORBIDDEN)


@require_safe
def group_detail(request, slug: str):
    group = selectors.group_by_slug(slug)
    if group is None:
        raise Http404
    sees_workings = can_see_group_workings(request.user, group)
    members = list(selectors.group_members(group)) if sees_workings else []
    papers = PaperClearance(request.user).filter(group.documents.select_related("meeting"))
    return render(
        request,
        "working_groups/group_detail.html",
        {
            "group": group,
            "sees_workings": sees_workings,
            # The leads are named to everyone: they are the group's public face.
            "leads": list(
                group.memberships.filter(role="lead").select_related("person__profile__organization__country")
            ),
            "members": members,
            "meetings": list(selectors.group_meetings(user=request.user, group=group)),
            "papers": papers,
            "action_items": selectors.mark_overdue(selectors.open_action_items(user=request.user, groups=[group]))
            if sees_workings
            else [],
            "can_upload_paper": can_upload_paper(request.user),
        },
    )


@login_required
@require_safe
def my_action_items(request):
    items = selectors.mark_overdue(selectors.action_items_owned_by(request.user))
    for item in items:
        item.settable = statuses_settable_by(request.user, item)
    return render(
        request,
        "working_groups/my_action_items.html",
        {
            "open_items": [item for item in items if item.is_open],
            "closed_items": [item for item in items if not item.is_open],
            "statuses": ActionItem.Status.choices,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def action_item_add(request, pk: int):
    """Records an action item raised at a meeting (linked to it)."""
    meeting = get_object_or_404(Meeting.objects.select_related("working_group", "forum"), pk=pk)
    if not can_view_meeting(request.user, meeting):
        raise Http404
    if not can_record_action_items(request.user):
        return _refuse(request, _("Only the secretariat records action items."))
    form = ActionItemForm(
        request.POST or None, forum_id=meeting.forum_id, initial={"working_group": meeting.working_group_id}
    )
    if request.method == "POST" and form.is_valid():
        try:
            item = services.record_action_item(by=request.user, meeting=meeting, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Action item recorded for %(owner)s.") % {"owner": item.owner_name})
            return redirect("working_groups:detail", item.working_group.slug)
    return render(
        request,
        "working_groups/action_item_form.html",
        {"meeting": meeting, "form": form},
        status=400 if form.errors else 200,
    )


@require_POST
def action_item_status(request, pk: int):
    item = get_object_or_404(ActionItem.objects.select_related("working_group"), pk=pk)
    if not (statuses_settable_by(request.user, item) or can_see_group_workings(request.user, item.working_group)):
        raise Http404  # an item of someone else's group is not theirs to know about
    form = ActionItemStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a status."))
    else:
        try:
            services.set_action_item_status(item=item, by=request.user, status=form.cleaned_data["status"])
        except PermissionDenied as refusal:
            return _refuse(request, str(refusal))
        messages.success(request, _("Status changed to “%(status)s”.") % {"status": item.get_status_display()})
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = "working_groups:my_action_items"
    return redirect(back)
