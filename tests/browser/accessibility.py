"""What every page must pass: axe-core (WCAG 2.1 A and AA rules; no violation of impact « serious » or
« critical ») and the conventions of a French public portal that axe does not check (RGAA 4.1)."""

from __future__ import annotations

from axe_playwright_python.sync_playwright import Axe

_axe = Axe()
BLOCKING = {"serious", "critical"}
WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


class AccessibilityError(AssertionError):
    pass


def violations(page) -> list[dict]:
    """axe-core's violations of impact serious or critical on the page as it is now."""
    result = _axe.run(page, options=WCAG_AA)
    return [v for v in result.response["violations"] if v.get("impact") in BLOCKING]


def _describe(found: list[dict]) -> str:
    return "\n".join(f"- {v['id']} ({v['impact']}): {v['help']} — "
                     + "; ".join(n["target"][0] if isinstance(n["target"][0], str) else str(n["target"])
                                 for n in v["nodes"][:5]) for v in found)


def conventions(page) -> list[str]:
    """RGAA conventions a page must follow, as a list of what is wrong (empty when all is well)."""
    facts = page.evaluate(r"""() => {
      const focusable = document.querySelector('a[href], button, input, select, textarea');
      return {
        lang: document.documentElement.lang,
        title: document.title,
        h1: document.querySelectorAll('h1').length,
        main: document.querySelectorAll('main').length,
        header: document.querySelectorAll('header[role=banner], body > header').length,
        footer: document.querySelectorAll('footer').length,
        skip: focusable ? (focusable.getAttribute('href') || '') : '',
        footerText: (document.querySelector('footer') || {innerText: ''}).innerText,
        unlabelled: [...document.querySelectorAll('input:not([type=hidden]):not([type=submit]), select, textarea')]
          .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                        && !el.getAttribute('aria-labelledby')).map(el => el.name || el.id),
        // An upload field tells, tied to it, the largest size and the formats it takes.
        unhinted: [...document.querySelectorAll('input[type=file]')].filter(el => {
          const hint = (el.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean)
            .map(id => (document.getElementById(id) || {textContent: ''}).textContent).join(' ');
          return !/taille maximale/i.test(hint) || !/formats? accept/i.test(hint);
        }).map(el => el.name || el.id),
      };
    }""")
    problems = []
    if facts["lang"] != "fr":
        problems.append(f"langue de la page : « {facts['lang']} » au lieu de « fr »")
    if not facts["title"].strip():
        problems.append("titre de page vide")
    if facts["h1"] != 1:
        problems.append(f"{facts['h1']} titres h1 au lieu d'un seul")
    if facts["main"] != 1 or not facts["header"] or not facts["footer"]:
        problems.append("repères manquants (header, main, footer)")
    if not facts["skip"].startswith("#"):
        problems.append("le premier élément focalisable n'est pas un lien d'évitement")
    for text in ("Accessibilité : non conforme", "Mentions légales", "Données personnelles et gestion des cookies"):
        if text not in facts["footerText"]:
            problems.append(f"pied de page sans « {text} »")
    if facts["unlabelled"]:
        problems.append(f"champs sans étiquette : {', '.join(facts['unlabelled'])}")
    if facts["unhinted"]:
        problems.append(f"champs de fichier sans taille maximale ni formats : {', '.join(facts['unhinted'])}")
    return problems


def check(page, name: str) -> None:
    found = violations(page)
    problems = conventions(page)
    if found or problems:
        raise AccessibilityError(f"Page « {name} » ({page.url}) :\n{_describe(found)}\n" + "\n".join(problems))
