import { useEffect, useRef, useState } from 'react';
import { useApi } from '@backstage/core-plugin-api';
import { IconButton, Slider, Tooltip } from '@material-ui/core';
import VolumeOffIcon from '@material-ui/icons/VolumeOff';
import VolumeUpIcon from '@material-ui/icons/VolumeUp';
import { locoApiRef } from '../../../api/LocoApi';
import { PcmPlayer, sharedAudioContext } from './pcmPlayer';
import { isPlaying, soundKey, useSound } from './soundChoice';

/** After the sound socket closes, a playing tile opens a new one this much later. */
const RECONNECT_MS = 3_000;

export interface TileSpeakerProps {
  environment: string;
  index: number;
  /** The instance's name, for the button's accessible name. */
  name: string;
  focused: boolean;
}

/**
 * A tile's speaker button (and, while it plays, the page's volume slider).
 * Only a playing tile holds a sound socket: a muted tile costs the gateway
 * and QEMU nothing.
 */
export function TileSpeaker(props: TileSpeakerProps) {
  const { environment, index, name, focused } = props;
  const locoApi = useApi(locoApiRef);
  const key = soundKey(environment, index);
  const { choice, volume, choose, setVolume } = useSound();
  const supported = typeof AudioContext !== 'undefined';
  const playing = supported && isPlaying(choice, key, focused);
  const player = useRef<PcmPlayer | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    if (!playing) return undefined;
    const context = sharedAudioContext();
    if (!context) return undefined;
    const tilePlayer = new PcmPlayer(context);
    tilePlayer.setVolume(volume);
    player.current = tilePlayer;
    let socket: WebSocket | undefined;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    void locoApi
      .openAudio(environment, index)
      .then(opened => {
        if (cancelled) {
          opened.close();
          return;
        }
        socket = opened;
        opened.binaryType = 'arraybuffer';
        opened.addEventListener('message', e => {
          if (e.data instanceof ArrayBuffer) tilePlayer.play(e.data);
        });
        opened.addEventListener('close', () => {
          if (!cancelled)
            retry = setTimeout(() => setAttempt(a => a + 1), RECONNECT_MS);
        });
      })
      .catch(() => {
        if (!cancelled)
          retry = setTimeout(() => setAttempt(a => a + 1), RECONNECT_MS);
      });
    return () => {
      cancelled = true;
      clearTimeout(retry);
      socket?.close();
      tilePlayer.close();
      player.current = null;
    };
    // The volume is applied below without reopening the socket.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [locoApi, environment, index, playing, attempt]);

  useEffect(() => {
    player.current?.setVolume(volume);
  }, [volume]);

  return (
    <>
      <Tooltip title={speakerTitle(supported, playing)}>
        <IconButton
          size="small"
          aria-label={`Sound of ${name}`}
          aria-pressed={playing}
          data-testid="loco-speaker"
          onClick={() => {
            // The click is the user gesture browsers want before sound.
            void sharedAudioContext()?.resume();
            choose(playing ? { kind: 'off' } : { kind: 'tile', key });
          }}
        >
          {playing ? (
            <VolumeUpIcon fontSize="small" />
          ) : (
            <VolumeOffIcon fontSize="small" />
          )}
        </IconButton>
      </Tooltip>
      {playing && (
        <Slider
          aria-label="Volume"
          style={{ width: 56, margin: '0 8px' }}
          min={0}
          max={1}
          step={0.05}
          value={volume}
          onChange={(_e, value) => setVolume(value as number)}
        />
      )}
    </>
  );
}

function speakerTitle(supported: boolean, playing: boolean) {
  if (!supported) return 'No sound: this browser has no Web Audio';
  return playing
    ? 'Sound on (click to mute)'
    : 'Sound off (click to hear this tile only)';
}
