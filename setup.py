"""Package discovery that pyproject.toml cannot express: the top-level ``resources/`` folder
(stylesheet, fonts, style presets, example projects) ships inside the package as
``storyboard_app/resources``, so an installed wheel or a frozen bundle finds it through
``importlib.resources`` (see ``storyboard_app/assets.py``). The source tree keeps the folder
where the project guide puts it; everything else is configured in pyproject.toml."""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["storyboard_app*", "generators*"]), "storyboard_app.resources"],
    package_dir={"storyboard_app.resources": "resources"},
    package_data={"storyboard_app.resources": ["**/*"]},
    include_package_data=False,
)
