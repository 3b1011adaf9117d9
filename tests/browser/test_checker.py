"""The accessibility checker itself fails when it should: a label broken on purpose, a missing h1, an image
without text. Without this, a journey passing its checks would prove nothing."""

import pytest

from tests.browser.accessibility import AccessibilityError, check


def test_a_page_of_the_portal_passes(page, portal_server, checked):
    page.goto("/")
    checked(page, "accueil")


def test_a_field_whose_label_is_broken_on_purpose_fails_the_check(page, portal_server):
    page.goto("/compte/connexion")
    check(page, "connexion")  # as served, the page passes
    page.evaluate("document.querySelector('label[for=email]').remove()")
    with pytest.raises(AccessibilityError, match="label|étiquette"):
        check(page, "connexion sans étiquette")


def test_a_second_h1_and_an_image_without_text_fail_the_check(page, portal_server):
    page.goto("/")
    page.evaluate("""() => {
      document.querySelector('main').insertAdjacentHTML('beforeend', '<h1>Deuxième</h1><img src="x.png">');
    }""")
    with pytest.raises(AccessibilityError) as failure:
        check(page, "accueil abîmée")
    assert "2 titres h1" in str(failure.value) and "image-alt" in str(failure.value)


def test_an_upload_field_without_its_size_and_formats_fails_the_check(page, portal_server):
    page.goto("/")
    page.evaluate("""() => document.querySelector('main').insertAdjacentHTML('beforeend',
      '<label for="piece">Statuts</label><input type="file" id="piece" name="piece">')""")
    with pytest.raises(AccessibilityError, match="champs de fichier sans taille maximale ni formats : piece"):
        check(page, "accueil avec un champ de fichier nu")
