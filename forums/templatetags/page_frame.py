"""`{% frame NAME var… %}…{% endframe %}`: a part of the page frame (base.html), rendered once
per process for each value of the variables named, then reused by every page.

What Django's `{% cache … using="local" %}` did there, at a fraction of its cost on every
page: no cache key hashed, no lock, nothing pickled (the rendered text is immutable and
shared as it is). The parts depend on nothing a page changes (language, zone, kind of
account, and the templates, translations and URLs of the release), so they never expire;
the store is emptied when settings change (tests) or a template is edited (runserver),
and is bounded in size all the same.
"""

from django.core.signals import setting_changed
from django.dispatch import receiver
from django.template import Library, Node, TemplateSyntaxError
from django.utils.autoreload import file_changed

register = Library()

# Language × zone × kind of account for a handful of parts: far fewer than this.
MAX_PARTS = 4000
_parts: dict[tuple, str] = {}


@receiver(setting_changed, dispatch_uid="page_frame.forget")
def forget(**kwargs) -> None:
    _parts.clear()


@receiver(file_changed, dispatch_uid="page_frame.forget_edited_templates")
def forget_edited_templates(sender, file_path, **kwargs) -> None:
    # runserver reloads templates without restarting: an edited frame shows at once.
    if file_path.suffix == ".html":
        _parts.clear()


class FrameNode(Node):
    # Not looked into for {% block %}s on every render of a page that extends base.html:
    # a part holds none (the tag refuses them).
    child_nodelists = ()

    def __init__(self, name: str, vary_on: list, nodelist):
        self.name = name
        self.vary_on = vary_on
        self.nodelist = nodelist

    def render(self, context):
        key = (self.name, *(variable.resolve(context) for variable in self.vary_on))
        value = _parts.get(key)
        if value is None:
            value = self.nodelist.render(context)
            if len(_parts) >= MAX_PARTS:
                _parts.clear()
            _parts[key] = value
        return value


@register.tag("frame")
def do_frame(parser, token):
    bits = token.split_contents()
    if len(bits) < 2:
        raise TemplateSyntaxError("'frame' takes a name, then the variables the part varies on")
    nodelist = parser.parse(("endframe",))
    parser.delete_first_token()
    from django.template.loader_tags import BlockNode

    if nodelist.get_nodes_by_type(BlockNode):
        raise TemplateSyntaxError("a {% frame %} part cannot hold a {% block %}")
    return FrameNode(bits[1], [parser.compile_filter(bit) for bit in bits[2:]], nodelist)
