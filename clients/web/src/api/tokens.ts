/** The pair the gateway's sign-in and refresh routes answer with. */
export interface TokenPair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
  refresh_expires_in: number;
}

export interface TokenStore {
  get(): TokenPair | null;
  set(pair: TokenPair | null): void;
}

/**
 * Tokens kept in the browser's storage so a reload stays signed in. sessionStorage by default: closing the tab
 * signs out, which suits shared finance-team machines; a refresh token used twice revokes the sign-in anyway.
 */
export class BrowserTokenStore implements TokenStore {
  private readonly storage: Storage;
  private readonly key: string;

  constructor(storage: Storage = window.sessionStorage, key = "opendso.tokens") {
    this.storage = storage;
    this.key = key;
  }

  get(): TokenPair | null {
    const raw = this.storage.getItem(this.key);
    if (!raw) return null;
    try {
      return JSON.parse(raw) as TokenPair;
    } catch {
      return null;
    }
  }

  set(pair: TokenPair | null): void {
    if (pair) this.storage.setItem(this.key, JSON.stringify(pair));
    else this.storage.removeItem(this.key);
  }
}

export class MemoryTokenStore implements TokenStore {
  private pair: TokenPair | null;

  constructor(pair: TokenPair | null = null) {
    this.pair = pair;
  }

  get(): TokenPair | null {
    return this.pair;
  }

  set(pair: TokenPair | null): void {
    this.pair = pair;
  }
}
