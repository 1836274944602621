// One line per command; each helper adds its own.
import { registerCommand } from '../main';

void registerCommand;
registerCommand('serve', () => import('./serve'));
registerCommand('topology', () => import('./topology'));
registerCommand('health', () => import('./health'));
registerCommand('wizard', () => import('./wizard'));
registerCommand('vault', () => import('./vault'));
registerCommand('exec', () => import('./exec'));
registerCommand('images', () => import('./images'));
registerCommand('dr', () => import('./dr'));
