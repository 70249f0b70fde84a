import { Body, Controller, Get, HttpCode, Post, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { AgentDto } from '../agents/agents.dto';
import { Agent } from '../agents/agents.service';
import { DtoPipe } from '../common/dto.pipe';
import type { Actor } from './actor';
import { AuthService, SESSION_COOKIE, SignedIn } from './auth.service';
import { LoginDto, SignedInDto } from './auth.dto';
import { CurrentAgent } from './decorators';
import { StaffGuard } from './staff.guard';

@ApiTags('auth')
@Controller('api/v1/auth')
export class AuthController {
  constructor(private readonly auth: AuthService) {}

  @Post('login')
  @HttpCode(200)
  @ApiOperation({ summary: 'Staff sign-in: a token for REST and the console socket, and the hub_session cookie' })
  @ApiBody({ type: LoginDto })
  @ApiResponse({ status: 200, type: SignedInDto })
  @ApiResponse({ status: 401, description: 'The email address or password is not correct' })
  @ApiResponse({ status: 429, description: 'Locked for 15 minutes after 5 failed sign-ins' })
  async login(@Body(DtoPipe) dto: LoginDto, @Res({ passthrough: true }) res: Response): Promise<SignedIn> {
    const signedIn = await this.auth.login(dto.email, dto.password);
    res.cookie(SESSION_COOKIE, signedIn.token, this.auth.sessionCookieOptions());
    return signedIn;
  }

  @Post('logout')
  @HttpCode(204)
  @ApiOperation({ summary: 'Clears the session cookie (a bearer token simply stops being sent)' })
  @ApiResponse({ status: 204 })
  logout(@Res({ passthrough: true }) res: Response): void {
    const { maxAge: _unused, ...options } = this.auth.sessionCookieOptions();
    res.clearCookie(SESSION_COOKIE, options);
  }

  @Get('me')
  @UseGuards(StaffGuard)
  @ApiBearerAuth('staff-token')
  @ApiOperation({ summary: 'The signed-in staff member' })
  @ApiResponse({ status: 200, type: AgentDto })
  @ApiResponse({ status: 401, description: 'Not signed in' })
  me(@CurrentAgent() actor: Actor): Promise<Agent> {
    return this.auth.me(actor);
  }
}
