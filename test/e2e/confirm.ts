/** The typed confirmation as an operator meets it: a wrong name is refused and the run keeps waiting; the right one passes. */
import { expect, type Page } from '@playwright/test';

export async function confirmTyped(page: Page, wrong: string, right: string): Promise<void> {
  await page.getByTestId('confirm-input').fill(wrong);
  await page.getByTestId('confirm-button').click();
  await expect(page.locator('[role=alert]')).toContainText('refused');
  await expect(page.getByTestId('run-status')).toHaveText('waiting-confirmation');
  await page.getByTestId('confirm-input').fill(right);
  await page.getByTestId('confirm-button').click();
}
