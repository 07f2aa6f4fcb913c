"""Working-group pages and action items. Thin views: parse, check permission, call a
service or selector, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from forums import cache as page_cache
from forums.models import Meeting
from forums.permissions import PaperClearance, can_upload_paper, can_view_meeting

from . import selectors, services
from .forms import ActionItemForm, ActionItemStatusForm
from .models import ActionItem
from .permissions import can_record_action_items, can_see_group_workings, statuses_settable_by

FORBIDDEN = 403
# A group may have a thousand members and hundreds of meetings: the page shows them a page
# at a time, each list with its own parameter.
MEMBERS_PAGE_SIZE = 50
MEETINGS_PAGE_SIZE = 20
GROUP_PARAMETERS = frozenset({"members", "meetings"})


def _refuse(request, message: str):
    return render(request, "working_groups/refused.html", {"message": message}, status=FORBIDDEN)


@require_safe
def group_detail(request, slug: str):
    group = page_cache.cached_row(request, "group", slug, lambda: selectors.group_by_slug(slug))
    if group is None:
        raise Http404
    group_ids = page_cache.group_ids_of(request)
    sees_workings = can_see_group_workings(request.user, group, group_ids=group_ids)

    # The whole content is shared by everyone who sees the same meetings and papers of the
    # group and, when they see its workings, the same members and action items (for them,
    # every open item of the group: working_groups.permissions.visible_action_items_filter).
    context = {
        "group": group,
        "sees_workings": sees_workings,
        # The leads are named to everyone: they are the group's public face.
        "leads": SimpleLazyObject(lambda: list(
            group.memberships.filter(role="lead").select_related("person__profile__organization__country")
        )),
        "members": SimpleLazyObject(
            lambda: Paginator(selectors.group_members(group), MEMBERS_PAGE_SIZE).get_page(request.GET.get("members"))
            if sees_workings
            else []
        ),
        "meetings": SimpleLazyObject(lambda: Paginator(
            selectors.group_meetings(user=request.user, group=group), MEETINGS_PAGE_SIZE
        ).get_page(request.GET.get("meetings"))),
        "papers": SimpleLazyObject(lambda: PaperClearance(request.user, group_ids=group_ids).filter(
            group.documents.select_related("meeting")
        )),
        "action_items": SimpleLazyObject(
            lambda: selectors.mark_overdue(selectors.open_action_items(user=request.user, groups=[group]),
                                           viewer=request.user, group_ids=group_ids)
            if sees_workings
            else []
        ),
        "can_upload_paper": can_upload_paper(request.user),
    }
    query = page_cache.query_parts(request, GROUP_PARAMETERS)
    content = page_cache.cached_render(
        request,
        "group",
        # Overdue or not depends on the day where the viewer is.
        [page_cache.clearance_class(request), sees_workings, group.pk, timezone.localdate(), query],
        "working_groups/_group_content.html",
        context,
        cacheable=query is not None,
        depends_on=(page_cache.MEETINGS, page_cache.PEOPLE),
    )
    return render(request, "working_groups/group_detail.html", {**context, "content_html": content})


@login_required
@require_safe
def my_action_items(request):
    items = selectors.mark_overdue(selectors.action_items_owned_by(request.user), viewer=request.user)
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
    # A path on this site only: redirect() would take a bare word ("0") for a view name.
    if not back.startswith("/") or not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = "working_groups:my_action_items"
    return redirect(back)
