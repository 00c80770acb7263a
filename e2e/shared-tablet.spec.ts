// One browser context acting as a school's shared tablet: Léa's work stays hers, in the page and in IndexedDB, and
// reaches the server as hers while Hugo uses the tablet.
import { expect, test } from '@playwright/test';
import { storedSubmissions } from './server-db.ts';
import { newPupil, readDeviceDatabase, reopen } from './tablet.ts';
import { type RunningServer, startServer } from './server.ts';

test.setTimeout(120_000);

let server: RunningServer;
test.beforeEach(async () => {
  server = await startServer();
});
test.afterEach(async () => server.dispose());

const HOMEWORK = 'Léa : la goutte d’eau monte vers le nuage, secret de rédaction';
const DRAFT = 'Léa : brouillon des fractions, à finir demain';

test('pupil A’s work is hidden and ciphertext for pupil B, and still reaches the server as A’s', async ({
  browser,
}) => {
  const context = await browser.newContext({ locale: 'fr-FR', timezoneId: 'Europe/Paris', serviceWorkers: 'allow' });
  const page = await context.newPage();
  // The school's set-up link turns the browser into a shared tablet.
  await page.goto(`${server.url}/installer?mode=partage&ecole=demo-jules-ferry&nom=Jules-Ferry`);
  await expect(page.getByRole('heading', { level: 1, name: 'Qui es-tu ?' })).toBeVisible();
  await expect(page).toHaveURL(`${server.url}/`);

  // Hugo has used the tablet before; then Léa signs in.
  await newPupil(page, 'hugo', 'nuage-34', '2468');
  await expect(page.getByText('Semaine prête hors ligne')).toBeVisible();
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  await page.getByRole('button', { name: 'Changer d’élève' }).click();
  await newPupil(page, 'lea', 'soleil-12', '1357');

  // Offline, Léa hands in her essay and starts a draft of the fractions.
  await context.setOffline(true);
  await page.getByRole('link', { name: /Rendre ce devoir : Rédaction/ }).click();
  await page.getByLabel('Ta réponse').fill(HOMEWORK);
  await page.getByRole('button', { name: 'Envoyer' }).click();
  await expect(page.getByText(/^Enregistré sur cet appareil\./)).toBeVisible();
  await page.getByRole('link', { name: 'Cette semaine' }).first().click();
  await page.getByRole('link', { name: /Rendre ce devoir : Exercices sur les fractions/ }).click();
  await page.getByLabel('Ta réponse').fill(DRAFT);
  await expect(page.getByText('Brouillon enregistré sur cet appareil')).toBeVisible();
  // Léa signs out, still offline (the server never hears of it: her tokens end by themselves).
  await page.getByRole('button', { name: 'Se déconnecter' }).click();

  // "Qui es-tu ?" shows names only: Hugo's, not Léa's any more.
  await expect(page.getByRole('heading', { level: 1, name: 'Qui es-tu ?' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Hugo Petit' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Léa Dubois' })).toHaveCount(0);
  await expect(page.locator('body')).not.toContainText('Léa :');

  // Hugo, still offline, mistypes his PIN once, then opens his space.
  await reopen(page, 'Hugo Petit', '0000');
  await expect(page.getByRole('alert')).toHaveText('Code incorrect : encore 4 essais.');
  await page.getByLabel('Code PIN', { exact: true }).fill('2468');
  await page.getByRole('button', { name: 'Ouvrir' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Cette semaine' })).toBeVisible();
  await expect(page.locator('header .who')).toHaveText('Hugo Petit');
  await page.getByRole('link', { name: /Rendre ce devoir : Exercices sur les fractions/ }).click();
  await expect(page.getByLabel('Ta réponse')).toHaveValue('');
  await page.getByRole('link', { name: /Mes envois/ }).click();
  await expect(page.getByText('Rien en attente')).toBeVisible();
  await expect(page.locator('body')).not.toContainText('Léa :');

  // On the disk: Léa's item is there (so it can be sent) but none of her words are.
  const device = await readDeviceDatabase(page);
  expect(device.dump).not.toContain('goutte');
  expect(device.dump).not.toContain('brouillon des fractions');
  expect(device.outbox).toHaveLength(1);
  expect(device.outbox[0]).toMatchObject({ owner: 'demo-lea', text: '', assignmentTitle: '', state: 'pending' });

  // The network returns while Hugo is on the tablet: Léa's essay goes out as hers.
  await context.setOffline(false);
  await expect.poll(() => storedSubmissions(server.dataDir), { timeout: 60_000 }).toHaveLength(1);
  expect(storedSubmissions(server.dataDir)[0]).toMatchObject({ pupil_id: 'demo-lea', text: HOMEWORK });
  await expect(page.getByText('Rien en attente')).toBeVisible();

  // Léa comes back and signs in with her card: her receipt and her draft are hers again.
  await page.getByRole('button', { name: 'Changer d’élève' }).click();
  await newPupil(page, 'lea', 'soleil-12', '1357');
  await page.getByRole('link', { name: /Mes envois/ }).click();
  await expect(page.getByText(/^Reçu par le serveur le/)).toHaveCount(1);
  await expect(page.getByText(HOMEWORK)).toBeVisible();
  await page.getByRole('link', { name: 'Cette semaine' }).first().click();
  await page.getByRole('link', { name: /Rendre ce devoir : Exercices sur les fractions/ }).click();
  await expect(page.getByLabel('Ta réponse')).toHaveValue(DRAFT);
  await context.close();
});

test('an admin prints sign-in cards from a CSV import, and the set-up link is on the school page', async ({
  browser,
}) => {
  const page = await browser.newPage({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  await page.goto(`${server.url}/`);
  await page.getByLabel('Identifiant').fill('mme.roux');
  await page.getByLabel('Code secret').fill('craie-blanche');
  await page.getByRole('button', { name: 'Se connecter' }).click();
  await page.getByRole('link', { name: 'École', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: /Administration de l’école/ })).toBeVisible();
  await expect(page.getByRole('link', { name: /\/installer\?mode=partage&ecole=demo-jules-ferry/ })).toBeVisible();
  await expect(page.getByRole('img', { name: 'Installer une tablette partagée' })).toBeVisible();

  await page.getByLabel('Fichier CSV').setInputFiles({
    name: 'eleves.csv',
    mimeType: 'text/csv',
    buffer: Buffer.from('prenom;nom\nChloé;Martin\n;Sans prénom\nNoé;Lefèvre\n', 'utf8'),
  });
  await page.getByRole('button', { name: 'Importer' }).click();
  await expect(page.getByText('2 comptes créés.')).toBeVisible();
  await expect(page.getByText(/^Ligne 3 : /)).toBeVisible();
  const cards = page.locator('.sign-in-card');
  await expect(cards).toHaveCount(2);
  await expect(cards.first()).toContainText('Chloé Martin');
  await expect(cards.first().getByRole('img', { name: 'Scanne pour ouvrir Cartable' })).toBeVisible();
  const secret = (await cards.first().locator('code.secret').textContent()) ?? '';
  const username = (await cards.first().locator('code').first().textContent()) ?? '';

  // The card works: its username and secret sign the new pupil in.
  const pupil = await browser.newPage({ locale: 'fr-FR', timezoneId: 'Europe/Paris' });
  await pupil.goto(`${server.url}/#u=${encodeURIComponent(username)}`);
  await expect(pupil.getByLabel('Identifiant')).toHaveValue(username);
  await pupil.getByLabel('Code secret').fill(secret);
  await pupil.getByRole('button', { name: 'Se connecter' }).click();
  await expect(pupil.getByRole('heading', { level: 1, name: 'Cette semaine' })).toBeVisible();
  await pupil.close();

  // A new teacher: the account is made and its card shown.
  await page.getByLabel('Prénom').fill('Élise');
  await page.getByLabel('Nom', { exact: true }).fill('Fournier');
  await page.getByRole('button', { name: 'Créer le compte' }).click();
  await expect(page.getByText('Compte de Élise Fournier créé : imprime sa carte.')).toBeVisible();
  await expect(page.locator('.sign-in-card')).toHaveCount(1);
  await expect(page.locator('.sign-in-card code').first()).toHaveText('elise.fournier');
  await expect(page.getByLabel('Enseignant·e', { exact: true })).toContainText('Élise Fournier');
  await page.close();
});
