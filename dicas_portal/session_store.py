"""Django's cached_db sessions, whose read from the cache may come with another read.

Every page of a signed-in person reads their session and the generations of the cached
fragments (forums/cache.py) from the same Redis. Each read is a round trip, which costs
more than anything else such a page does, so forums.cache reads the session in the same
GET of several keys as the generations and hands it over here (`preload`). Everything
else is cached_db's own: written through to the database, deleted from both at sign-out,
read from the database when the cache does not have it.
"""

from django.contrib.sessions.backends.cached_db import SessionStore as CachedDBStore


class SessionStore(CachedDBStore):
    def can_preload(self) -> bool:
        """Whether the session is still to be read, under a key the browser sent."""
        return self.session_key is not None and not hasattr(self, "_session_cache")

    def preload(self, data: dict | None) -> None:
        """What the cache held under `cache_key` (None: nothing), read by someone else."""
        self._preloaded = (self.session_key, data)

    def load(self):
        preloaded = self.__dict__.pop("_preloaded", None)
        # Only for the key it was read under (a sign-in gives the session a new key), and a
        # miss goes the usual way: the database, then the cache.
        if preloaded is not None and preloaded[0] == self.session_key and isinstance(preloaded[1], dict):
            return preloaded[1]
        return super().load()
