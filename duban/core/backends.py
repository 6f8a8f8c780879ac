"""Authentication backend that loads the user's profile and unit with the user, because every page asks for
both (scoping, the nav bar): two queries saved on every request."""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class ProfileModelBackend(ModelBackend):
    def get_user(self, user_id):
        user = (get_user_model()._default_manager.select_related("profile", "profile__unit")
                .filter(pk=user_id).first())
        return user if user is not None and self.user_can_authenticate(user) else None
