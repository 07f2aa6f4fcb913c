"""`{% page_url parameter number %}`: this page's address with one list's page changed.

What `{% querystring members=… %}` does, for a page with several paged lists sharing one
partial (templates/_list_pagination.html): the parameter's name is a variable there.
"""

from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def page_url(context, parameter: str, number: int) -> str:
    query = context["request"].GET.copy()
    query[parameter] = number
    return f"?{query.urlencode()}"
