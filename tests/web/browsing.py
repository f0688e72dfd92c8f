"""Driving the pages in headless Chromium: the browser, waiting, asking, reading answers."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from typing import Any

import pytest

needs_chromium = pytest.mark.skipif(
    shutil.which("chromedriver") is None, reason="scripts/system_tools.sh installs chromedriver"
)


def wait(driver: Any, condition: Callable[[Any], Any], seconds: float = 60) -> Any:
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def answers(driver: Any) -> list[Any]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, ".answer")


def ask(driver: Any, question: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.ID, "question").send_keys(question + "\n")
